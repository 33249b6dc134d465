"""The lab as it runs: a home live on the broker (`livehome`), and the whole lab (`up`)."""
