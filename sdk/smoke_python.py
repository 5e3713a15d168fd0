"""Drives a real Flux server with the Python client generated from openapi/openapi.json,
unedited: proves the document is complete enough for SDK users."""

import os
import sys
import time

from flux_api_client import AuthenticatedClient, Client
from flux_api_client.api.auth import login, signup
from flux_api_client.api.invitations import create_invitation, list_invitations
from flux_api_client.api.me import me
from flux_api_client.api.members import list_members, update_member
from flux_api_client.models import (
    AuthResponse,
    CreateInvitationRequest,
    ErrorBody,
    ErrorCode,
    InvitationDto,
    InvitationList,
    LoginRequest,
    MeResponse,
    MemberList,
    MemberRole,
    SignupRequest,
    UpdateMemberRequest,
)


def check(condition: bool, message: str) -> None:
    if not condition:
        print(f"SDK smoke FAILED: {message}", file=sys.stderr)
        sys.exit(1)


base = os.environ["FLUX_URL"]
stamp = int(time.time() * 1000)
email = f"sdk.{stamp}@sdk{stamp}.com.br"
public = Client(base_url=base, raise_on_unexpected_status=True)

created = signup.sync(client=public, body=SignupRequest(name="SDK Python", email=email, password="senha-sdk-123"))
check(isinstance(created, AuthResponse), f"signup returned {created!r}")
check(created.role == MemberRole.MANAGER, "signup makes a manager")

bad = signup.sync(client=public, body=SignupRequest(name="", email="nope", password="x"))
check(isinstance(bad, ErrorBody), f"invalid signup returned {bad!r}")
check(bad.error.code == ErrorCode.VALIDATION, "validation error code")

session = login.sync(client=public, body=LoginRequest(email=email, password="senha-sdk-123"))
check(isinstance(session, AuthResponse), f"login returned {session!r}")
authed = AuthenticatedClient(base_url=base, token=session.tokens.access_token, raise_on_unexpected_status=True)

profile = me.sync(client=authed)
check(isinstance(profile, MeResponse) and profile.user.email == email, f"me returned {profile!r}")
check("users:manage" in profile.permissions, "managers can manage users")

invitation = create_invitation.sync(
    client=authed, body=CreateInvitationRequest(email=f"convidado.{stamp}@sdk{stamp}.com.br", role=MemberRole.SDR)
)
check(isinstance(invitation, InvitationDto), f"invite returned {invitation!r}")
listed = list_invitations.sync(client=authed)
check(isinstance(listed, InvitationList) and listed.total == 1, f"invitations {listed!r}")

team = list_members.sync(client=authed)
check(isinstance(team, MemberList) and team.total == 1, f"members {team!r}")
last_manager = update_member.sync(id=team.items[0].id, client=authed, body=UpdateMemberRequest(role=MemberRole.SDR))
check(
    isinstance(last_manager, ErrorBody) and last_manager.error.code == ErrorCode.CONFLICT,
    f"demoting the last manager returned {last_manager!r}",
)

print("SDK smoke (python): 8 passed, 0 failed")
