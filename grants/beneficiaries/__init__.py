"""The beneficiaries' area: members of a funded organisation follow their projects, report and claim expenses.

The grants office gives a user access to an organisation (``OrganisationMember``, in the admin); the member
then sees that organisation's funded projects, their milestones and payment plan, and writes progress reports
and expense claims as drafts before sending them. The rules of what a report or claim is, how the city decides
on it and when a tranche may be paid stay in ``grants.services``: this package only adds the drafts, the
member's view of them and the reminders.
"""
