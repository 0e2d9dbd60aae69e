// Renders this service's /asyncapi.json with the AsyncAPI React component (a file, so the CSP can be 'self').
AsyncApiStandalone.render({
  schema: { url: "/asyncapi.json", options: { method: "GET" } },
  config: { show: { sidebar: true } },
}, document.getElementById("asyncapi"));
