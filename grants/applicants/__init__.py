"""The applicants' area: an organisation's contact person registers, fills the application online, saves
drafts, submits before the deadline (protocol number, PDF receipt), withdraws, and is told of each step.

Money rules and the application itself stay in ``grants.services`` (``application_submit``): a draft is
the applicant's working copy, and submitting it is the one call to that function.
"""
