"""一表申请 one form: the merged form of a bundle (each datum asked once), validation by
data-element validators, prefill from government data, drafts, uploads and submission."""
