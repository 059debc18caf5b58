"""Console forms (Flask-WTF): every one carries a CSRF token.

Buttons that only post an action (open a stage, approve a comment, sign out)
use :class:`ActionForm`, which holds nothing but the token.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from ...services.accounts import MAX_PASSWORD, MIN_PASSWORD, USERNAME
from ...services.ballots import MAX_PAPER_BATCH
from ...services.participants import MAX_TOKENS_PER_REQUEST

#: a workshop file is at most 1 MB (schema.LIMITS["file_bytes"])
MAX_WORKSHOP_BYTES = 1024 * 1024
#: a generous bound for the paper box: MAX_PAPER_BATCH lines of a long budget ballot
MAX_PAPER_CHARS = MAX_PAPER_BATCH * 400


#: what the password rule (domain.passwords) says, in the page's language
PASSWORD_PROBLEMS = {
    "too_short": _l("The password must be at least %(min_length)d characters long."),
    "too_long": _l("The password must be at most %(max_length)d characters long."),
    "too_common": _l("This password is one of the 10,000 most common ones. Choose another."),
    "same_as_username": _l("The password must not be the username."),
}


def password_messages(details: list[dict[str, object]]) -> list[str]:
    """The service's ``weak_password`` details (code + parameters) as sentences."""
    said = []
    for detail in details:
        code = str(detail.get("code"))
        params = {k: v for k, v in detail.items() if k != "code"}
        said.append(str(PASSWORD_PROBLEMS[code]) % params if code in PASSWORD_PROBLEMS else code)
    return said


def _new_password(label: object = None) -> PasswordField:
    return PasswordField(
        label or _l("New password"),
        description=_l("At least %(count)d characters; not a common password, not your username.",
                       count=MIN_PASSWORD),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                   message=_l("The password must be %(low)d to %(high)d characters long.",
                              low=MIN_PASSWORD, high=MAX_PASSWORD)),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(_l("Type the password again.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


ROLE_LABELS = {
    "owner": _l("Owner"),
    "facilitator": _l("Facilitator"),
    "viewer": _l("Viewer"),
}
ROLE_HINTS = {
    "owner": _l("everything, and manages people, erases and deletes"),
    "facilitator": _l("runs the room: stages, paper ballots, moderation, cards"),
    "viewer": _l("reads the run sheet, results, exports and moderation"),
}


def role_choices() -> list[tuple[str, object]]:
    return [(key, ROLE_LABELS[key]) for key in ("viewer", "facilitator", "owner")]


class MemberForm(FlaskForm):
    """An owner adds a colleague's account to the workshop."""

    username = StringField(
        _l("Account name"), validators=[DataRequired(_l("Type the colleague's account name.")),
                                        Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    role = SelectField(_l("Role"), choices=role_choices, default="facilitator")
    submit = SubmitField(_l("Add"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Type your current password.")),
                                            Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password()
    confirm = _confirm()
    submit = SubmitField(_l("Change password"))


class LinkPasswordForm(FlaskForm):
    """The page of an invitation or reset link: the account's owner chooses a password."""

    password = _new_password(_l("Password"))
    confirm = _confirm()
    submit = SubmitField(_l("Save password and sign in"))


class InviteForm(FlaskForm):
    username = StringField(
        _l("Account name"),
        description=_l("2 to 64 letters, digits or . _ @ - (no spaces)."),
        validators=[DataRequired(_l("Choose an account name.")),
                    Regexp(USERNAME.pattern, message=_l("Use 2 to 64 letters, digits or . _ @ - only."))],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    is_admin = BooleanField(_l("Admin: also manages accounts"))
    submit = SubmitField(_l("Invite"))


class ActionForm(FlaskForm):
    """A POST button: the CSRF token and nothing else."""


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class SetupForm(FlaskForm):
    username = StringField(
        _l("Username"),
        description=_l("2 to 64 letters, digits or . _ @ - (no spaces)."),
        validators=[
            DataRequired(_l("Choose a username.")),
            Regexp(USERNAME.pattern, message=_l("Use 2 to 64 letters, digits or . _ @ - only.")),
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = _new_password(_l("Password"))
    confirm = _confirm()
    submit = SubmitField(_l("Create account and sign in"))


class NewWorkshopForm(FlaskForm):
    """Three ways to give a workshop file; the button pressed says which one counts."""

    file = FileField(
        _l("Workshop file"),
        description=_l("A .yaml, .yml or .json file, at most 1 MB."),
        validators=[
            Optional(),
            FileAllowed(["yaml", "yml", "json"], _l("Choose a .yaml, .yml or .json file.")),
            FileSize(MAX_WORKSHOP_BYTES, message=_l("The file is larger than 1 MB.")),
        ],
        # console.js shows these on its own button instead of the browser's "Choose File"
        render_kw={"accept": ".yaml,.yml,.json,application/json,application/yaml,text/yaml",
                   "data-choose": _l("Choose a file"), "data-none": _l("No file chosen")},
    )
    from_file = SubmitField(_l("Create from file"))
    text = TextAreaField(
        _l("Workshop text (YAML or JSON)"),
        validators=[Length(max=MAX_WORKSHOP_BYTES, message=_l("The text is longer than 1 MB."))],
        render_kw={"rows": 9, "spellcheck": "false", "autocapitalize": "none"},
    )
    from_text = SubmitField(_l("Create from text"))
    sample = RadioField(_l("Sample workshop"), choices=[], validate_choice=False)
    from_sample = SubmitField(_l("Create from sample"))

    def source(self) -> str | None:
        """Which button was pressed: ``file``, ``text`` or ``sample``."""
        for name in ("file", "text", "sample"):
            if self[f"from_{name}"].data:
                return name
        return None


class PaperForm(FlaskForm):
    group = SelectField(_l("Group"), choices=[],
                        validators=[DataRequired(_l("Choose the group these ballots are from."))])
    lines = TextAreaField(
        _l("Ballots, one per line"),
        validators=[DataRequired(_l("Type at least one ballot.")),
                    Length(max=MAX_PAPER_CHARS, message=_l("Too much text for one batch."))],
        render_kw={"rows": 12, "spellcheck": "false", "autocapitalize": "none",
                   "autocomplete": "off"},
    )
    #: "1" once the facilitator was told the batch repeats a recent one and sends it again
    confirm = HiddenField()
    submit = SubmitField(_l("Count these ballots"))


class EraseForm(FlaskForm):
    """Erasing residents' personal data needs a ticked box: it cannot be undone."""

    confirm = BooleanField(
        _l("I have exported what the plan needs; erase the residents' personal data now."),
        validators=[DataRequired(_l("Tick the box to confirm."))])


class DeleteForm(FlaskForm):
    """Deleting a workshop needs its join code typed again."""

    code = StringField(_l("Type the join code to confirm"),
                       validators=[DataRequired(_l("Type the join code.")), Length(max=16)])


class WholeNumberField(IntegerField):
    """A count as people type it: ``30``, `` 1,500 `` or Thai digits (``๓๐``).

    Anything else gets ``invalid_value_message`` alone (not a second message
    from the range check).
    """

    widget = TextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        typed = str(valuelist[0]).strip().replace(",", "")
        self.data = None
        if not typed:
            return  # InputRequired says what is missing
        if not typed.isdecimal() or len(typed) > 9:
            raise ValueError(self.invalid_value_message)
        self.data = int(typed)

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            raise StopValidation()


#: 2,000: the most cards one request makes, as the messages write it
MAX_CARDS = f"{MAX_TOKENS_PER_REQUEST:,}"
_CARD_COUNT = _l("Type a whole number from 1 to %(max)s.", max=MAX_CARDS)


class JoinCardsForm(FlaskForm):
    """Single-use join cards for one group (``join: tokens`` workshops)."""

    group = SelectField(_l("Group"), choices=[], validate_choice=False)
    count = WholeNumberField(
        _l("Number of cards"),
        description=_l("One card per invited person, at most %(max)s at a time.", max=MAX_CARDS),
        invalid_value_message=_CARD_COUNT,
        validators=[InputRequired(_l("Type how many cards to make.")),
                    NumberRange(min=1, max=MAX_TOKENS_PER_REQUEST, message=_CARD_COUNT)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 6},
    )
    submit = SubmitField(_l("Make the cards"))

    def validate_group(self, field: SelectField) -> None:
        if field.data not in {key for key, _label in self.group.choices or ()}:
            raise ValidationError(_l("Choose one of this workshop's groups."))
