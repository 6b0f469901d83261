"""The ceiling: a bare Flask app served by the same gunicorn settings as the store."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
