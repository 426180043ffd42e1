"""一次告知 one-time notice: from a situation's answers, everything the applicant needs to
know at once (items, conditions, deduplicated materials, time, fees, where to apply), as a
web page, a PDF and JSON, with the four reductions (四减)."""
