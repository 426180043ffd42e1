"""一口受理 single intake: online pre-review and the comprehensive window (综合窗口).

One acceptance service decides every case whatever its channel (``services.case_accept``
with ``materials.decide``): materials checked once, 容缺 (accept while a deferrable
material is missing, with a deadline), 告知承诺 (a signed pledge replaces a proof),
returns for correction named all at once (一次性告知), refusals with the legal reason,
first-contact ownership (首问负责), receipts, and reminders for deferred materials.
"""
