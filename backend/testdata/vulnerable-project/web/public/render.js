// INTENTIONALLY VULNERABLE test data for SecuLite: never deploy.
function showGreeting() {
  const name = new URLSearchParams(window.location.search).get("name");
  document.getElementById("greeting").innerHTML = "Hello, " + name;
}

showGreeting();
