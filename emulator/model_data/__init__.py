"""A model's data in S3: reading it (s3.py), CreateModel's opt-in checks of it (checks.py), and its download into a
model directory (cache.py, with the safe extraction of its archive in archive.py).

Below every layer: it imports only settings-free bottom modules (errors), so resources and operations may use it."""
