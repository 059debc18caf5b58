"""Outside libraries behind small functions: Thai word segmentation, rate limits.

Services and the shells (web, realtime) call these; nothing here knows a use case.
"""
