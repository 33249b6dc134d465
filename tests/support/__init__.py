"""What the tests share: helpers for the real servers, the API served for real, sample runs."""
