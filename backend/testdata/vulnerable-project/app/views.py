"""Request handlers. INTENTIONALLY VULNERABLE test data for SecuLite: never deploy."""

import pickle
import sqlite3
import subprocess

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expression = request.args.get("expr", "1+1")
    return str(eval(expression))


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    return subprocess.check_output("ping -c 1 " + host, shell=True)


@app.route("/import", methods=["POST"])
def import_settings():
    settings = yaml.load(request.data)
    return {"keys": sorted(settings)}


@app.route("/restore", methods=["POST"])
def restore_session():
    session = pickle.loads(request.data)
    return {"user": session.get("user")}


@app.route("/users")
def find_user():
    name = request.args.get("name", "")
    db = sqlite3.connect("app.db")
    rows = db.execute("SELECT id, email FROM users WHERE name = '%s'" % name).fetchall()
    return {"rows": rows}
