"""The API's Blueprint: flask-smorest's, with a parser that refuses query parameters it does not
know. A misspelt `?limt=10` would otherwise be ignored silently and the client would never learn
why the page has 50 rows; now it answers 422 naming the parameter, as a body's unknown field does."""
from typing import ClassVar

import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, str | None]] = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": ma.RAISE, "querystring": ma.RAISE}


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()
