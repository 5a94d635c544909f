"""What reports announce to the apps above them (cases routes new reports, adds tasks on assignment).

Sent inside the writing transaction, so a receiver's rows commit or roll back with the report's."""

from django.dispatch import Signal

# report=<Report>; sent once a new report and its history are saved (not for reports joined to another).
report_submitted = Signal()
# report=<Report>, department=<city.Department>, user=<User or None>
report_assigned = Signal()
