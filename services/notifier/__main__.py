"""`python -m services.notifier`: run the notifier process."""
from services.common.serve import serve

from .app import SERVICE, create_app
from .settings import NotifierSettings

if __name__ == "__main__":
    serve(SERVICE, NotifierSettings, create_app)
