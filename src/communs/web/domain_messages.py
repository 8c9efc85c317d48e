"""The fixed messages of the rules, listed so they are translated when the web shows them.

The domain stays free of Django (and of gettext); `forms.apply_errors` looks each message up in
the catalogue, so a message listed here appears in the visitor's language, and any other one
(with names or numbers in it) appears as the rules wrote it.
"""

from django.utils.translation import gettext_noop as _

MESSAGES = (
    _("A quantity is required."),
    _("Enter a number, such as 2 or 1.5."),
    _("The quantity must be greater than zero."),
    _("Describe what you contributed."),
    _("Enter a full web address starting with http:// or https://."),
    _("Give a time zone with the date and time."),
    _("The date is in the future."),
    _("The date is before 1970."),
    _("Say why: a rejection always carries a reason."),
    _("Remove the NUL character."),
    _("Remove the NUL character from the description."),
    _("A title is required."),
    _("Use 1 to 50 lowercase letters, digits and hyphens, not at either end."),
    _("Use a licence identifier such as MIT, CC-BY-SA-4.0 or PPL-1.0."),
    _("Enter a whole number."),
    _("This slug is taken."),
    _("This name is taken."),
    _("Enter a valid email address."),
    _("Keep the name under 200 characters."),
    _(
        "Use 1 to 40 lowercase letters, digits, '-' and '_', starting and ending with a letter"
        " or digit."
    ),
    _("You can only contribute on behalf of an organisation you belong to."),
    _("Maintainers are persons."),
    _("Only maintainers of this commons validate its contributions."),
    _("Nobody validates their own contribution."),
    _("You have already approved this contribution."),
    _("Only the contributor can withdraw a contribution."),
    # the open value ledger
    _("This is required."),
    _('Give a positive decimal amount, such as "12.50".'),
    _('Give the amount as a decimal string, such as "12.50".'),
    _("The amount must be greater than zero."),
    _("The amount is too large."),
    _("This income has already been distributed."),
    _("Nobody decides on their own expense claim."),
    _("An equation is an object with 'rates' and 'buckets'."),
    _("Give between 1 and 20 buckets."),
)
