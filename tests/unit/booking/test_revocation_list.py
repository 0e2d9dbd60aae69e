"""The revocation file's format and cache (services/common/auth.py)."""
import pytest

from services.common import auth


def test_read_ignores_comments_and_blank_lines(tmp_path):
    path = tmp_path / auth.REVOKED_FILE
    path.write_text("# revoked tokens\nabc  # org x\n\n  def\n")
    assert auth._read(path) == {"abc", "def"}


def test_revoke_appends_and_the_cache_sees_it(tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "REVOKED_TTL_S", 0.0)
    assert auth.revoked(tmp_path) == frozenset()
    auth.revoke(tmp_path, "j1", "note")
    auth.revoke(tmp_path, "j2")
    assert auth.revoked(tmp_path) == {"j1", "j2"}


@pytest.mark.parametrize("jti", ["", "a b", "a#b"])
def test_revoke_refuses_what_is_not_a_jti(tmp_path, jti):
    with pytest.raises(ValueError):
        auth.revoke(tmp_path, jti)
