"""Time limits and the working-day calendar, for administrators."""
from flask_smorest import Blueprint

blp = Blueprint("timelimits", __name__, description="Time limits and calendar")
