"""The style catalogue: ``styles.py`` (the paintings, their images downloaded and
cached, the contact sheet) and ``styles.toml`` (the packaged list).  No Keras."""
