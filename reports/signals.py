"""What reports announce to the apps above them (cases routes new reports, adds tasks on assignment, and keeps a
case in step with a moderator's change of its report's status).

Sent inside the writing transaction, so a receiver's rows commit or roll back with the report's."""

from django.dispatch import Signal

# report=<Report>; sent once a new report and its history are saved (not for reports joined to another).
report_submitted = Signal()
# report=<Report>, department=<city.Department>, user=<User or None>
report_assigned = Signal()
# report=<Report> (its new status saved), before=<the status it had>, user=<User or None>; sent by every
# moderation step that changes a report's status (publish, spam, merge, set status), not for a new report.
report_status_changed = Signal()
