"""Errors of the accounts domain."""

from __future__ import annotations

from backroom.core.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, Unprocessable


class InvalidCredentialsToken(Unauthorized):
    code = "invalid_token"
    detail = "The access token is missing, invalid or expired"


class InvalidCredentials(Unauthorized):
    # One body for unknown account, wrong secret, locked, deactivated and deleted.
    code = "invalid_credentials"
    detail = "Invalid credentials"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    detail = "The refresh token is invalid, expired or revoked"


class WrongCurrentSecret(Unauthorized):
    code = "wrong_current_secret"
    detail = "The current password or PIN is wrong"


class InsufficientRole(Forbidden):
    code = "insufficient_role"
    detail = "Your role does not allow this"


class RegistrationClosed(Forbidden):
    code = "registration_closed"
    detail = "Registration is closed"


class StaffSignupClosed(Forbidden):
    code = "staff_signup_closed"
    detail = "Staff self-signup is closed; ask an admin to create your account"


class NotOnYourself(Forbidden):
    code = "not_on_yourself"
    detail = "You cannot demote, deactivate or delete yourself"


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email already exists"


class PartnerNumberTaken(Conflict):
    code = "partner_number_taken"
    detail = "This partner number exists or was used before"


class StoreNameTaken(Conflict):
    code = "store_name_taken"
    detail = "A store with this name already exists"


class UserNotDeleted(Conflict):
    code = "user_not_deleted"
    detail = "This user is not deleted"


class UserNotFound(NotFound):
    code = "user_not_found"
    detail = "User not found"


class UserAlreadyDeleted(Gone):
    code = "user_already_deleted"
    detail = "This user is already deleted"


class WeakSecret(Unprocessable):
    code = "validation_error"
    detail = "The request is not valid"
