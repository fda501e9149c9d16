"""English texts for moving pictures (GIFs, videos: bot/clip_intake.py, bot/clip_delivery.py),
kept apart from ``en.py`` so that each catalogue file stays small; merged into
``CATALOGUES["en"]`` (bot/texts/__init__.py).  The same conventions as ``en.py``."""

TEXTS: dict[str, str] = {
    "unpaintable.moving": (
        "🎞 I paint GIFs and videos sent on their own, not as files, stickers or in an "
        "album. Send it again as a GIF or a video (up to 20 MB), or send me a photo."
    ),
    "gallery.prompt_clip": "🎞 Nice clip! Which painting should I use?",
    "clip.estimate.seconds": "🎞 {frames} frames: about {seconds} s of painting once it starts.",
    "clip.estimate.minutes": "🎞 {frames} frames: about {count} min of painting once it starts.",
    "clip.cut": "✂️ Your clip is longer than {seconds} s, so I'll paint its first {seconds} s.",
    "progress.frame": "🎞 Frame {frame} of {frames}",
    "error.bad_clip": "😕 I couldn't use that clip. Please send a GIF or a short video (MP4).",
    "error.not_a_clip": "🤔 That doesn't look like a GIF or a video. Send me a GIF or a short MP4.",
    "error.corrupt_clip": "💔 That clip seems damaged. Could you send it again?",
    "error.clip_too_large": (
        "🐘 That clip is {mb} MB; I can take up to {limit_mb} MB. Please send a shorter one."
    ),
    "error.clip_too_large_frames": (
        "🐘 That clip's frames are {side} px across; I can take up to {limit} px."
    ),
    "error.clip_file_too_big": (
        "📦 That clip is too big — I can only download up to {max_mb} MB. "
        "Please send a shorter or smaller one."
    ),
}
