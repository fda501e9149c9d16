"""Pictures in and out: ``images`` (decoding and checking images, JPEG/PNG out),
``mp4`` (frames → H.264 MP4) and ``timelapse`` (a painting as it forms, as
snapshots and an MP4).  No Keras: the bot uses them too."""
