// INTENTIONALLY VULNERABLE test data for SecuLite: never deploy.
const express = require("express");
const child_process = require("child_process");

const app = express();

app.get("/calc", (req, res) => {
  res.send(String(eval(req.query.expr)));
});

app.get("/lookup", (req, res) => {
  child_process.exec("nslookup " + req.query.host, (err, stdout) => res.send(stdout));
});

app.get("/formula", (req, res) => {
  const formula = new Function("x", "return " + req.query.body);
  res.send(String(formula(2)));
});

app.get("/search", (req, res) => {
  const pattern = new RegExp(req.query.q);
  res.send(["alpha", "beta"].filter((word) => pattern.test(word)));
});

function resetToken() {
  return Math.random().toString(36).slice(2);
}

app.get("/reset", (req, res) => {
  res.send({ token: resetToken() });
});

app.listen(3000);
