"""Knowledge checks: question banks (the lab's own, in Finnish and English, and a school's),
Moodle's GIFT format both ways, and drawing and scoring a test."""
