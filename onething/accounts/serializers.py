"""Request and response shapes of the accounts API (also what /api/schema/ documents)."""

from rest_framework import serializers

from onething.accounts.models import User


class SignUpRequestSerializer(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=32, help_text="18-character resident ID number (citizen) or unified social credit code (enterprise)"
    )
    full_name = serializers.CharField(
        max_length=200, help_text="name on the ID card, or the enterprise's registered name"
    )
    representative_id_number = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="enterprise only: the legal representative's resident ID number (as in the legal-entity database)",
    )
    representative_name = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="enterprise only: the legal representative's name",
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class SignUpStartedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="names the pending sign-up: send it back with the code")
    message = serializers.CharField()
    message_en = serializers.CharField()
    expires_in_seconds = serializers.IntegerField(help_text="the code is valid this long after it is sent")


class SignUpVerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128, help_text="the token of the sign-up's first step")
    code = serializers.CharField(max_length=16, help_text="the 6-digit code of the SMS")


class LoginRequestSerializer(serializers.Serializer):
    identity = serializers.CharField(
        max_length=150, help_text="resident ID number or unified social credit code (staff: username)"
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class UserProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    role_label = serializers.CharField()
    full_name = serializers.CharField()
    id_number = serializers.CharField()
    mobile = serializers.CharField()
    real_name_verified = serializers.BooleanField()
    is_applicant = serializers.BooleanField()
    is_staff = serializers.BooleanField()


class CsrfTokenSerializer(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="send back in the X-CSRFToken header of POST requests")
