"""Sign-in, password reset, self-registration, account page, and the QA admin pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from qa_portal.accounts import (
    auth,
    forms,
    operations,
    passwords,
    queries,
    registration,
    throttle,
    validation,
)
from qa_portal.accounts.branding import qa_body_name
from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User, UserRole
from qa_portal.core.db import commit, rollback_quietly
from qa_portal.core.errors import InvalidInput
from qa_portal.core.pagination import paginate
from qa_portal.core.permissions import roles_required
from qa_portal.core.security_log import secret_path
from qa_portal.extensions import db, limiter

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_context_processor
def _qa_body_name() -> dict:
    """Every page shows the QA body's name (cached; see accounts/branding.py)."""
    return {"qa_body_name": qa_body_name(current_app)}


INVALID = 400


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect).

    Browsers drop tabs and newlines inside URLs and read ``\\`` as ``/``, so ``/<tab>/evil``
    and ``/\\evil`` would leave the site: any control character or backslash is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _form_error(form, exc: InvalidInput) -> None:
    """Show ``exc`` next to its field (or above the form); nothing of the request is kept."""
    rollback_quietly()
    field = getattr(exc, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


# -- sign-in ------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = forms.LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = passwords.authenticate(form.email.data, form.password.data)
        except throttle.SignInLocked as exc:
            form.form_errors.append(exc.message)
            return render_template("accounts/login.html", form=form), exc.status_code
        commit()  # the sign-in, or the failure counted against the address
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("cases.index"))
        form.form_errors.append(
            "The e-mail address or password is not correct, or the account is not active yet."
        )
    if form.errors:
        status = INVALID
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out; the session ends on the server too (a copied cookie opens nothing)."""
    if current_user.is_authenticated:
        auth.sign_out(current_user._get_current_object())
        commit()
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("cases.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.ask_for_password_reset(form.email.data)
        commit()
        flash(
            "If an active account uses this address, we have sent it a link to choose a new "
            "password. The link works once and expires in a few hours.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = INVALID if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


# The e-mailed link's token row, once the link has been opened in this browser.
RESET_STEP = "password_reset_id"


@bp.get("/password/reset/<token>")
@secret_path
def reset_link(token: str):
    """An e-mailed link. The token is as good as the password until it is used, so it
    leaves the address bar at once: the link is checked, the token's row is remembered in
    this browser's session, and the answer sends the browser on (303) to the form's own
    address, which carries no token (nor does anything the browser logs, shares or sends
    as a Referer from there)."""
    row = passwords.open_reset_link(token)
    if row is None:
        session.pop(RESET_STEP, None)
        return _reset_invalid()
    session[RESET_STEP] = row.id
    return _no_referrer(redirect(url_for("accounts.reset_password"), 303))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """Choose a new password, for the link opened in this browser (the session's step)."""
    row = passwords.pending_reset(session.get(RESET_STEP))
    if row is None:
        session.pop(RESET_STEP, None)
        return _reset_invalid()
    form = forms.NewPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.complete_reset(row, form.password.data)
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            session.pop(RESET_STEP, None)
            flash("Your password has been changed. You can sign in now.", "success")
            return _no_referrer(redirect(url_for("accounts.login")))
    status = INVALID if form.errors else 200
    page = render_template("accounts/reset_password.html", form=form)
    return _no_referrer(make_response(page, status))


def _reset_invalid():
    """The same page for a link that never worked, is used up or expired, and for the form
    without a link opened in this browser."""
    page = render_template("accounts/reset_invalid.html", status=404)
    return _no_referrer(make_response(page, 404))


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def register():
    form = forms.RegistrationForm()
    if form.validate_on_submit():
        try:
            registration.ask_to_register(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                organisation_name=form.organisation_name.data,
                domain=form.domain.data,
                country=form.country.data,
                website=form.website.data,
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            return render_template("accounts/register_done.html", email=form.email.data)
    status = INVALID if form.errors else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    profile = forms.ProfileForm(prefix="profile", obj=current_user)
    password = forms.ChangePasswordForm(prefix="pw")
    status = 200
    if request.method == "POST":
        user = current_user._get_current_object()
        if "profile-submit" in request.form and profile.validate_on_submit():
            try:
                operations.update_profile(user, name=profile.name.data)
            except InvalidInput as exc:
                _form_error(profile, exc)
            else:
                commit()
                flash("Your name has been saved.", "success")
                return redirect(url_for("accounts.account"))
        if "pw-submit" in request.form and password.validate_on_submit():
            try:
                passwords.change_password(
                    user, password.current_password.data, password.password.data
                )
            except InvalidInput as exc:
                _form_error(password, exc)
            else:
                commit()
                # The session id carries the password epoch: this session continues with the
                # new one, every other session of the person ends.
                cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
                login_user(user, remember=cookie in request.cookies)
                flash("Your password has been changed; other sessions have ended.", "success")
                return redirect(url_for("accounts.account"))
        status = INVALID
    return render_template("accounts/account.html", profile=profile, password=password), status


@bp.post("/account/sessions/end")
@login_required
def sign_out_everywhere():
    auth.sign_out_everywhere(current_user._get_current_object())
    commit()
    logout_user()
    flash("You have been signed out on every device and browser.", "info")
    return redirect(url_for("accounts.login"))


# -- QA admin: users ----------------------------------------------------------------------
def _organisation_or_none(org_id: int | None) -> Organisation | None:
    if not org_id:
        return None
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise validation.FieldError("organisation_id", "Choose an existing organisation.")
    return org


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _all_organisations() -> list[Organisation]:
    return list(db.session.execute(sa.select(Organisation).order_by(Organisation.name)).scalars())


@admin_bp.get("/users")
@roles_required(Role.QA_ADMIN)
def users():
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()
    query = sa.select(User).order_by(User.name)
    if role in {r.value for r in Role}:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if status in {s.value for s in AccountStatus}:
        query = query.where(User.status == status)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(User.name).like(like), sa.func.lower(User.email).like(like))
        )
    page = paginate(query, per_page=50)
    return render_template(
        "admin/users.html",
        page=page,
        role=role,
        status=status,
        q=q,
        roles=list(Role),
        statuses=list(AccountStatus),
    )


@admin_bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def user_new():
    form = forms.UserForm()
    form.organisation_id.choices = forms.organisation_choices(_all_organisations())
    if form.validate_on_submit():
        try:
            user = operations.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                roles=[Role(r) for r in form.roles.data],
                organisation=_organisation_or_none(form.organisation_id.data),
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            flash(
                f"Account created; {user.email} has been e-mailed a link to set a password.",
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    status = INVALID if form.errors else 200
    return render_template("admin/user_new.html", form=form), status


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = forms.UserEditForm(obj=user)
    form.organisation_id.choices = forms.organisation_choices(_all_organisations())
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in user.roles)
        form.organisation_id.data = user.organisation_id or 0
    if form.validate_on_submit():
        try:
            operations.update_user(
                current_user,
                user,
                name=form.name.data,
                organisation=_organisation_or_none(form.organisation_id.data),
                roles=[Role(r) for r in form.roles.data],
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            flash("The account has been saved.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    status = INVALID if form.errors else 200
    return render_template("admin/user_edit.html", form=form, user=user), status


@admin_bp.post("/users/<int:user_id>/status")
@roles_required(Role.QA_ADMIN)
def user_status(user_id: int):
    user = _user_or_404(user_id)
    value = request.form.get("status", "")
    if value not in {AccountStatus.ACTIVE.value, AccountStatus.DISABLED.value}:
        raise InvalidInput("Choose whether to enable or disable the account.")
    operations.set_user_status(current_user, user, AccountStatus(value))
    commit()
    flash(f"{user.name} is now {value}.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# -- QA admin: organisations --------------------------------------------------------------
@admin_bp.get("/organisations")
@roles_required(Role.QA_ADMIN)
def organisations():
    counts = dict(
        db.session.execute(
            sa.select(User.organisation_id, sa.func.count()).group_by(User.organisation_id)
        ).all()
    )
    return render_template(
        "admin/organisations.html", organisations=_all_organisations(), counts=counts
    )


@admin_bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def organisation_new():
    form = forms.OrganisationForm()
    if form.validate_on_submit():
        try:
            org = operations.create_organisation(
                current_user,
                name=form.name.data,
                kind=OrgKind.PROVIDER,
                domain=form.domain.data,
                country=form.country.data,
                website=form.website.data,
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            flash(f"{org.name} has been created.", "success")
            return redirect(url_for("admin.organisation_edit", org_id=org.id))
    status = INVALID if form.errors else 200
    return render_template("admin/organisation_form.html", form=form, org=None), status


@admin_bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def organisation_edit(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    form = forms.OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            operations.update_organisation(
                current_user,
                org,
                name=form.name.data,
                domain=form.domain.data,
                country=form.country.data,
                website=form.website.data,
            )
        except InvalidInput as exc:
            _form_error(form, exc)
        else:
            commit()
            flash("The organisation has been saved.", "success")
            return redirect(url_for("admin.organisation_edit", org_id=org.id))
    status = INVALID if form.errors else 200
    return render_template("admin/organisation_form.html", form=form, org=org), status


@admin_bp.post("/organisations/<int:org_id>/status")
@roles_required(Role.QA_ADMIN)
def organisation_status(org_id: int):
    org = db.get_or_404(Organisation, org_id)
    value = request.form.get("status", "")
    if value not in {AccountStatus.ACTIVE.value, AccountStatus.DISABLED.value}:
        raise InvalidInput("Choose whether to enable or disable the organisation.")
    operations.set_organisation_status(current_user, org, AccountStatus(value))
    commit()
    flash(f"{org.name} is now {value}.", "success")
    return redirect(url_for("admin.organisation_edit", org_id=org.id))


# -- QA admin: registrations --------------------------------------------------------------
@admin_bp.get("/registrations")
@roles_required(Role.QA_ADMIN)
def registrations():
    return render_template(
        "admin/registrations.html", pending=queries.pending_registrations(), form=forms.ReasonForm()
    )


def _pending_or_404(user_id: int) -> User:
    user = _user_or_404(user_id)
    if user.status != AccountStatus.PENDING:
        abort(404)
    return user


@admin_bp.post("/registrations/<int:user_id>/approve")
@roles_required(Role.QA_ADMIN)
def registration_approve(user_id: int):
    user = _pending_or_404(user_id)
    registration.approve_registration(current_user, user)
    commit()
    flash(f"{user.name} ({user.organisation.name}) can now sign in.", "success")
    return redirect(url_for("admin.registrations"))


@admin_bp.post("/registrations/<int:user_id>/reject")
@roles_required(Role.QA_ADMIN)
def registration_reject(user_id: int):
    user = _pending_or_404(user_id)
    form = forms.ReasonForm()
    if not form.validate_on_submit():
        flash(
            "Give the reason for rejecting the registration; it is sent to the applicant.", "error"
        )
        return render_template(
            "admin/registrations.html",
            pending=queries.pending_registrations(),
            form=form,
            rejecting=user.id,
        ), INVALID
    registration.reject_registration(current_user, user, form.reason.data)
    commit()
    flash(f"The registration of {user.email} has been rejected.", "info")
    return redirect(url_for("admin.registrations"))
