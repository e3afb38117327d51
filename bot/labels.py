"""Button and list labels, marked for translation (`N_`) and translated where they are shown."""

from __future__ import annotations

from bot.i18n import N_

SECTION_LABELS = {
    "rights": N_("Know your rights"),
    "risks": N_("Risks and warning signs"),
    "before_you_go": N_("Before you go: checklist"),
}
STAGE_LABELS = {
    "thinking": N_("Thinking of going"),
    "preparing": N_("Preparing to go"),
    "transit": N_("On the way"),
    "destination": N_("In the country of work"),
    "returning": N_("Coming back home"),
}
NEED_LABELS = {
    "legal_aid": N_("Legal advice"), "shelter": N_("A safe place to stay"),
    "health": N_("Health care"), "gbv_support": N_("Support after violence"),
    "counselling": N_("Someone to talk to"), "work_wages": N_("Problem with work or wages"),
    "documents": N_("Documents or visa"), "money": N_("Money or debt"),
    "return": N_("Going back home"), "other": N_("Something else"),
}
URGENCY_LABELS = {"now": N_("Today"), "week": N_("This week"), "later": N_("Later")}
GENDER_LABELS = {"woman": N_("Woman"), "man": N_("Man"), "non_binary": N_("Non-binary"),
                 "another": N_("I describe myself another way"),
                 "prefer_not": N_("Prefer not to say")}
# numeric bands read the same in every language; the two words are translated
AGE_LABELS = {"under_18": N_("Under 18"), "18_24": "18–24", "25_34": "25–34", "35_44": "35–44",
              "45_54": "45–54", "55_plus": "55+", "prefer_not": N_("Prefer not to say")}
TRANSLATED_AGE_LABELS = frozenset({"under_18", "prefer_not"})
# emergency number kinds (content/emergency), in the words HELP uses
KIND_LABELS = {
    "general": N_("Emergency (police, ambulance, fire)"),
    "police": N_("Police"),
    "ambulance": N_("Ambulance"),
    "fire": N_("Fire"),
    "women": N_("Violence against women"),
    "trafficking": N_("Trafficking"),
    "child": N_("Children"),
}
# where we have no numbers for her country: the mobile standard's emergency numbers
# (3GPP TS 22.101, section 10: every GSM/UMTS/LTE phone treats 112 and 911 as emergency calls)
ANY_MOBILE = N_("From a mobile phone, try 112 or 911: mobile networks connect them to the local emergency service.")
RATING_LABELS = {"yes": N_("Yes, helpful"), "no": N_("Not helpful"), "unsure": N_("Not sure")}
