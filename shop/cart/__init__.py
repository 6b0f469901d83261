"""The cart of a visitor or a buyer; merged at login."""
