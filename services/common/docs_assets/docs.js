// Starts Swagger UI on this service's own /openapi.json (a file, not an inline script, so the CSP can be 'self').
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // never send the document to validator.swagger.io
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
