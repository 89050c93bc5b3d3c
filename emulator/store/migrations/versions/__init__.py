"""Migration scripts, oldest first. A script is never edited once released: changes get a new one."""
