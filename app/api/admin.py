"""Administration: territories, units, categories, routing catalogue and users."""
from flask_smorest import Blueprint

blp = Blueprint("admin", __name__, description="Organisation administration")
