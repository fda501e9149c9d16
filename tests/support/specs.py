"""A job spec as the bot submits it: a photo, a catalogue style and the person's own."""

from __future__ import annotations

from engine import queue as q


def spec(job_id="job1", **kw) -> q.JobSpec:
    values = dict(job_id=job_id, content=b"\xff\xd8photo",
                  styles=(q.StyleRef(id="starry_night"),
                          q.StyleRef(image=b"\x89PNGmine", weight=0.3)),
                  params={"size": 64, "strength": 3.0, "color_mode": "keep",
                          "time_budget_s": None},
                  created=123.5)
    values.update(kw)
    return q.JobSpec(**values)
