# A suite without a single test.
from fastapi.testclient import TestClient

from forge.main import create_app
