"""The timeline: one lane per thread and per task, segments coloured by state (issue 3).

``TimelineView`` is the widget to embed; ``layout`` (pure numpy) says what to draw.
"""
