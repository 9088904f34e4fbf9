"""A failed trajectory's message opens with the cause its hint names (kernels.status_messages.lead_with_cause)."""

import string
import warnings

import numpy as np
import pytest

import kernels
from kernels import STATUS_MESSAGES, Status
from kernels import discontinuity, jacobian_hint, rhs_hint
from kernels.status_messages import LEAD_STATUSES, cause_headline, lead_with_cause


def _hill(t, y, p, dydt):  # a Hill term y ** n with n fractional, of a state that decays to 0
    xn = y[0] ** p[2]
    dydt[0] = p[0] * xn / (p[1] ** p[2] + xn) - p[3] * y[0]
    dydt[1] = p[4] / (1.0 + xn) - y[1]


HILL = kernels.ODESystem(_hill, n_states=2, n_params=5, name="hill_headline")


def test_a_power_of_a_state_just_below_zero_leads_the_singular_matrix_message():
    """A systems biologist's trial: float32 radau ended SINGULAR_MATRIX, and the message opened with the LU's pivots
    ("The iteration matrix of an implicit step was singular ..."), naming y_0 = -1e-51 under y ** 2.3 and the
    remedy only at its end.  (At atol 1e-6 that run succeeds since the differenced columns' increment floor is atol
    below rtol = sqrt(eps), 0.001 tolerances off, its message naming the dip; at 1e-8 the dip still stops it.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(HILL, (0.0, 30.0), [1.0, 0.0], [[0.5, 1.0, 2.3, 5.0, 2.0]],
                                t_eval=np.linspace(0.0, 30.0, 7), method="radau", rtol=1e-4, atol=1e-8,
                                precision=np.float32, progress=False)
    assert int(res.status[0]) == Status.SINGULAR_MATRIX
    message = res.message(0)
    first = message.split(". The iteration matrix")[0]
    assert first.startswith("Likely cause: y_0 = -") and "just below 0" in first, message
    assert "max(x, 0.0) ** n" in first
    # the status's own text follows, then the hint whole
    status = message.index(STATUS_MESSAGES[Status.SINGULAR_MATRIX])
    assert status < message.index("The system's rhs is not finite at t = ") < message.index("so that an overshoot")


def _fields(template):
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


# What a formatted hint holds in each field, as the hint modules write it.
SAMPLE = dict(name="y_1", value="-2.5e-09", positive="+2.5e-09", what="right-hand side", given="p[2] = 0",
              names="p[2]", nudge="1e-06", states="y_0", where="y_0 at 1e-12 instead of 0, for example",
              source="The system's jac", at="at the initial state (t = 0, y = [1, 0])", i="1", j="0", k="2", n="2",
              bad="1", entries="4", held="nan", exact="-1.2e-39", fails="is not finite at t = 3.5, y = [-2.5e-09, "
              "1]: dydt[0] = nan", t_from="3", y="[1.9e+19]", t="4.84", f="[1e+20]", precision="float32",
              passed="the state passes 1.84e+19, the square root of float32's largest value 3.4e+38", flow="-14.4",
              rates="the signs of the rates, params[3, 2] (beta) = -1 first, negative where every other row has "
              "it >= 0",
              floor="at 0 or above", given_value="-40.000001")


TABLES = {"discontinuity": discontinuity.HEADLINES, "jacobian_hint": jacobian_hint.HEADLINES,
          "rhs_hint": rhs_hint.HEADLINES}


@pytest.mark.parametrize("template, headline", [pair for table in TABLES.values() for pair in table],
                         ids=[f"{module}-{k}" for module, table in TABLES.items() for k in range(len(table))])
def test_every_headline_is_read_back_from_its_own_template(template, headline):
    """Each cause's one sentence is filled from the hint's own text, wherever in it the template stands, and uses
    only fields its template has (a missing one would raise in message())."""
    assert _fields(headline) <= _fields(template)
    text = "".join(literal + (SAMPLE[field] if field else "")  # each field as SAMPLE writes it, its spec aside
                   for literal, field, _, _ in string.Formatter().parse(template))
    hint = " The system's rhs is not finite at t = 3.5, y = [1, 2]: dydt[0] = nan, on the way." + text + " More."
    assert cause_headline(hint) == headline.format(**{f: SAMPLE[f] for f in _fields(headline)})


def test_a_specific_cause_wins_over_the_place_where_the_rhs_failed():
    """The rhs hint says where the rhs fails, then why: the why leads."""
    where = rhs_hint._NOT_FINITE.format(fails="is not finite at t = 20.2, y = [-1e-51, 2]: dydt[0] = nan",
                                        what="the initial state", t_from=0.0)
    why = jacobian_hint._OVERSHOOT_REMEDY.format(name="y_0", value=-1.02e-51, positive=1.02e-51,
                                                 what="right-hand side")
    assert cause_headline(where + why).startswith("Likely cause: y_0 = -1.02e-51, just below 0")
    assert cause_headline(where).startswith("Likely cause: the system's rhs is not finite at t = 20.2")


@pytest.mark.parametrize("code", LEAD_STATUSES)
def test_only_a_named_cause_leads_and_only_a_failure(code):
    named = jacobian_hint._OVERSHOOT_REMEDY.format(name="y_0", value=-1e-12, positive=1e-12, what="rhs")
    text = STATUS_MESSAGES[code] + named
    led = lead_with_cause(code, text, named)
    if code == Status.STEP_SIZE_UNDERFLOW:  # its general guesses make way for the cause (an ecologist's trial)
        assert led.endswith(STATUS_MESSAGES[code].split(". ")[0] + "." + named) and "dt_min is 0" not in led
    else:
        assert led.endswith(text)
    assert led.startswith("Likely cause: y_0 = -1e-12")
    stiff = " The problem looks stiff at the initial state: try radau or rodas5p."  # no cause named: as it was
    assert lead_with_cause(code, STATUS_MESSAGES[code] + stiff, stiff) == STATUS_MESSAGES[code] + stiff
    success = STATUS_MESSAGES[Status.SUCCESS] + named
    assert lead_with_cause(Status.SUCCESS, success, named) == success
