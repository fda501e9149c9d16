"""Clips (GIFs and videos) painted without flicker (docs/architecture.md, "The
engine"): ``reading`` (a clip in as frames), ``flow`` (optical flow, the painting
carried from frame to frame) and ``stylize`` (``stylize_clip``: the frames painted
one after another with the temporal loss, over the core's ``Engine.stylize``)."""
