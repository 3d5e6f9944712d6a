"""Widgets: turn engine results into synced trait state (binary arrays) for the js/ front ends."""
