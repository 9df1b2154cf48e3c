from django.http import HttpResponse

from django_otp.decorators import otp_required


@otp_required
def secret(request):
    return HttpResponse(f"Hello {request.user}, verified with {request.user.otp_device}.")
