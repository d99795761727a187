# gunicorn reads this file from its working directory (the project root for `make run`,
# /app in the image) before the command-line flags, which override what they also set.
# The access log passes through fte_project.redaction: no push token, no phone number.
logger_class = "fte_project.gunicorn_logging.RedactingLogger"
