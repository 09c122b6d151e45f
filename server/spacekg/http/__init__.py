"""HTTP layer: blueprints for the SPARQL endpoint and /.well-known, CORS, error mapping."""
