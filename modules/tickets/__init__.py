"""Tickets: the hand-written ticket module (numbers, lifecycle, history) on top of GoatKit."""
