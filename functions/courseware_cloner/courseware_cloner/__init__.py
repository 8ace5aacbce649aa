"""Courseware cloner: clones contract runs in Open edX Studio from the clone queue."""
