"""A device model for tests of the cost model's rules rather than of a card's fitted constants."""

import dataclasses

from planner import get_device
from planner.device import COST_DEFAULTS

#: The H100's limits with the first-guess access costs and no L2 or local-traffic term: tests that check
#: how the model weighs spills against shared accesses keep their numbers when a preset is refitted.
UNFITTED_H100 = dataclasses.replace(get_device("h100"), name="h100-unfitted", l2_bytes=0,
                                    **{k: v for k, v in COST_DEFAULTS.items() if k != "register_bases"})
