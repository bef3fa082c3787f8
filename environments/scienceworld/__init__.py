"""ScienceWorld family: the 30 science task types of ScienceWorld, on its own simulator."""
