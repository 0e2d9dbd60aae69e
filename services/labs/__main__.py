"""`python -m services.labs`: run the labs-api process."""
from services.common.serve import serve

from .app import SERVICE, create_app
from .settings import LabsSettings

if __name__ == "__main__":
    serve(SERVICE, LabsSettings, create_app)
