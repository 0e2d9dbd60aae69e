"""`python -m services.booking`: run the booking-api process."""
from services.common.serve import serve

from .app import SERVICE, create_app
from .settings import BookingSettings

if __name__ == "__main__":
    serve(SERVICE, BookingSettings, create_app)
