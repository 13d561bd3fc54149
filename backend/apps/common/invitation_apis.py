"""The API side of emailed invitations, shared by organizations and projects."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class InvitationSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128)


def invitation_sent_response(email: str) -> Response:
    """The one answer to an invitation, whether or not the address has an account."""
    return Response(
        {"detail": f"An invitation to join is on its way to {email}."},
        status=status.HTTP_202_ACCEPTED,
    )


class InvitationAcceptApi(APIView):
    """Turn the token of an emailed invitation into a membership of the caller.

    Subclasses give the service that redeems the token and the serializer of the membership
    it returns, and document `post` with `extend_schema_view`.
    """

    output_serializer: type[serializers.BaseSerializer]

    def accept(self, *, user: Any, token: str) -> Any:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = self.accept(user=request.user, token=data.validated_data["token"])
        return Response(self.output_serializer(membership).data, status=status.HTTP_201_CREATED)


def invitation_accept_description(kind: str) -> str:
    return (
        f"Join {kind} with the token of an emailed invitation. The caller's email must be the "
        "invited address (else 403 `invitation_for_another_address`); a used, expired or "
        "withdrawn invitation is 400 `invalid_token`."
    )
