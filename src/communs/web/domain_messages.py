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
    _("Say why the licence is revoked: the reason is public."),
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
    # the licence engine: profiles' rules, obligations and legal facts, shown on its pages
    _("Anyone may use, adapt and share the work for non-commercial purposes."),
    _("The asker holds a valid licence grant from this commons for commercial use."),
    _(
        "A privately owned business profiting from waged labour may not use the work "
        "commercially under this licence, whatever it contributes; only a separate licence "
        "from the authors can allow it. (A firm its workers own, and that gives them all its "
        "gains, is judged by the rules above.)"
    ),
    _(
        "Commercial use is reserved to worker-owned businesses and collectives; whether one "
        "person working alone counts as one is for the maintainers to judge."
    ),
    _(
        "A worker-owned business that distributes all its gains to its worker-owners may use "
        "the work commercially."
    ),
    _(
        "The organisation declares it is worker-owned and distributes all its gains to its "
        "worker-owners; a maintainer of this commons, or the for-benefit association that "
        "keeps its treasury, must verify it first."
    ),
    _("Being worker-owned is not enough: all gains must go to the worker-owners."),
    _("Commercial use is reserved to worker-owned businesses and collectives."),
    _("Anyone may use, adapt and share the software for non-commercial purposes."),
    _(
        "A cooperative of the social and solidarity economy that employs its workers may use "
        "the software commercially."
    ),
    _(
        "The cooperative declares social-and-solidarity-economy status and that it employs "
        "its workers; a maintainer of this commons, or the for-benefit association that "
        "keeps its treasury, must verify it first."
    ),
    _(
        "Commercial use is reserved to cooperatives of the social and solidarity economy that"
        " employ their workers; firms and the self-employed may not use it commercially."
    ),
    _("Anyone may use, adapt and share the commons for non-commercial purposes."),
    _("Those who contribute to the commons may also use it commercially."),
    _(
        "Cooperatives, non-profits and groups of commoners whose social-and-solidarity-"
        "economy status is verified may use it commercially."
    ),
    _("The asker has paid the reciprocity fee and holds a valid licence grant."),
    _("Commercial users who do not contribute pay their share back to the commons."),
    _("Any use is permitted, provided the copyright and permission notice are kept."),
    _("Any use is permitted; redistribution keeps the notices and marks changed files."),
    _("Any use is permitted; what you convey goes on under the GPL, with its source."),
    _(
        "Any use is permitted; what you convey or offer over a network goes on under the "
        "AGPL, with its source."
    ),
    _("Any use is permitted, with attribution."),
    _("Any use is permitted, with attribution; adaptations are shared alike."),
    _("Non-commercial use is permitted, with attribution; adaptations are shared alike."),
    _("The licence grants no commercial use; ask the authors for a separate licence."),
    _(
        "Any use is permitted; products you make available come with their complete source "
        "under the same licence."
    ),
    _("Licence grant of the commons (outside PPL-1.0)"),
    _("Licence grant of the commons (outside CC-BY-NC-SA-4.0)"),
    _("Credit the authors and keep the copyright and licence notices."),
    _("Share what you build on it under the same licence."),
    _("Say that you changed it, and how."),
    _("Add no technical protection measures that restrict what recipients may do."),
    _("Give the complete source to those you pass it on to."),
    _("Offer the source to people who use it over a network."),
    _("The organisation is owned by the people who work in it."),
    _("All financial gain, surplus and profit is distributed to the worker-owners."),
    _("The organisation has social-and-solidarity-economy status."),
    _("The cooperative employs its workers (wages, not self-employment)."),
    _("Peer Production License"),
    _("CoopCycle licence (commercial-use article)"),
    _("CopyFair (reciprocity licence)"),
    # ... and its refusals
    _("Give a whole number from 1 to 100000."),
    _("Give a whole number from 1 to 3650."),
    _('Use "flat" (per year) or "percent" (of revenue).'),
    _('Give the percentage as a number above 0 and up to 100, like "2.5".'),
    _("Revenue cannot be negative."),
    _('Give the revenue as a decimal amount, such as "40000".'),
    _("Answer true or false."),
    _("Only a worker-owned organisation can distribute all gains to its worker-owners."),
    _("A worker cooperative is worker-owned by definition."),
    _("A public body is not owned by its workers."),
    _("Only organisations declare legal facts."),
    _("Keep it under 200 characters, without NUL."),
    _("Verify either as a maintainer of a commons or for an association."),
    _("Nobody verifies their own declaration, nor their organisation's."),
    _("This declaration is already verified in this scope."),
    _("You can only ask for organisations you belong to."),
    _("Answer commercial and distributes with true or false."),
    _("This licence grant is already revoked."),
)
