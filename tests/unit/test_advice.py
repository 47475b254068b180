"""Advice in an action-learning set's question phases, read as a set adviser reads it: said
outright or dressed as a question is advice; a tentative "I just wonder…", a request to say more
and a genuine open question are not."""

from __future__ import annotations

import pytest

from bot.services import rounds as svc

ADVICE = [
    # dressed as a question
    "Have you tried a buddy scheme?",
    "Have you tried paying them?",
    "have you tried asking them",
    "Have you thought about a rota?",
    "Have you considered paying them?",
    "Have you ever tried a survey?",
    "Have you talked to the board?",
    "Did you try asking them why they left?",
    "Why don't you ask them?",
    "Why don’t you just pay them?",
    "Why not pay them?",
    "How come you don't ask them?",
    "Could you ask your manager for more budget?",
    "Could you just pay them?",
    "Couldn't you delegate it?",
    "Can't you just say no?",
    "Can you not hire someone?",
    "Would you consider a rota?",
    "Shouldn't you talk to the board first?",
    "Wouldn't it be better to ask them?",
    "Would it not be easier to stop?",
    "What about trying a rota?",
    "How about a rota?",
    "What if you just asked them?",
    "Don't you think you should ask them?",
    "Is it worth trying a survey?",
    "Surely the answer is money?",
    # said outright
    "You should just pay them",
    "You need to set boundaries.",
    "You could try a rota.",
    "You might want to ask HR.",
    "If I were you I'd quit.",
    "I would try a survey",
    "I would just pay them",
    "I'd talk to them one by one.",
    "I suggest a rota.",
    "My advice is to wait.",
    "In my experience buddies help",
    "What worked for me was a rota.",
    "When I was in your shoes I quit.",
    "The trick is to ask early.",
    "It might be worth asking HR.",
    "Make sure you thank them.",
    "Try a rota.",
    "Just ask them.",
    # in a longer message, and after fillers or quotes
    "That's interesting. Have you tried paying them?",
    "So, have you tried asking?",
    "OK so why don't you ask them?",
    "“Have you tried a rota?”",
    "Thanks for that.\nYou should ask them.",
]

QUESTIONS = [
    "I just wonder what matters most to you here?",
    "I just wonder…",
    "I just wonder whether anyone else has noticed",
    "I wonder what you've tried so far",
    "I'm curious what they said.",
    "I'm wondering how that felt.",
    "What matters most to you in this?",
    "How many volunteers do you have now?",
    "What have you tried so far?",
    "What would success look like for you?",
    "What do you think you could do?",
    "What do you think would help?",
    "What stops you?",
    "What is in your control here?",
    "What options do you see?",
    "Who else cares about this?",
    "Who knows about this?",
    "When did it start?",
    "Where does the energy come from?",
    "Which of those matters most?",
    "How did that feel?",
    "How will you know it worked?",
    "What happened just before they left?",
    "Could you say more about that?",
    "Could you tell us more about the board?",
    "Can you give us an example?",
    "Would you say more about what happened?",
    "Can you walk us through the last meeting?",
    "Tell me more about the board",
    "Tell us what happened next.",
    "Thank you.",
    "",
]


@pytest.mark.parametrize("text", ADVICE)
def test_advice_is_flagged_said_outright_or_dressed_as_a_question(text: str) -> None:
    assert svc.looks_like_advice(text), text


@pytest.mark.parametrize("text", QUESTIONS)
def test_genuine_questions_and_i_just_wonder_are_not_flagged(text: str) -> None:
    assert not svc.looks_like_advice(text), text


def test_a_tip_names_no_one_and_is_one_of_the_prompts() -> None:
    tips = svc.prompts_()["advice"]["tips"]
    assert svc.coaching_tip(3, 4) in tips and svc.coaching_tip(3, 5) in tips
