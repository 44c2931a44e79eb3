"""The sentences of the check-in screens (chip ID card, appointments, voice guidance), Vietnamese and English.

Merged into `kiosk.i18n.TEXTS`; kept apart so the screens of the usual ticket flow and these can change
independently. Respectful wording: "Ông/Bà", "Xin mời".
"""

from __future__ import annotations

from motcua.contract import ErrorCode

CHECKIN_TEXTS: dict[str, tuple[str, str]] = {
    "idcard_title": ("Ưu tiên người cao tuổi", "Priority for senior citizens"),
    "idcard_offer": (
        "Theo thẻ căn cước, Ông/Bà từ 60 tuổi trở lên nên được phục vụ ưu tiên (Luật Người cao tuổi). "
        "Ông/Bà có muốn nhận số ưu tiên không?",
        "According to the ID card, you are 60 or older and entitled to priority service (Law on the Elderly). "
        "Would you like a priority number?",
    ),
    "idcard_accept": ("CÓ — nhận số ưu tiên", "YES — priority number"),
    "idcard_decline": ("Không, cảm ơn", "No, thank you"),
    "idcard_privacy": (
        "Máy chỉ đọc ngày sinh để tính tuổi. Máy không lưu, không in và không gửi đi thông tin nào trên thẻ "
        "(Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân).",
        "The kiosk reads only the date of birth to work out the age. Nothing on the card is stored, printed or "
        "sent (Decree 13/2023/NĐ-CP on personal data protection).",
    ),
    "idcard_noted_title": ("Đã nhận ưu tiên người cao tuổi", "Senior priority noted"),
    "idcard_noted_body": (
        "Xin mời Ông/Bà chọn lĩnh vực cần giải quyết và chạm nút LẤY SỐ: số của Ông/Bà sẽ là số ưu tiên.",
        "Please choose the service you need and touch TAKE A NUMBER: your number will be a priority number.",
    ),
    "idcard_under_age_title": ("Chưa thuộc diện người cao tuổi", "Not yet a senior citizen"),
    "idcard_under_age_body": (
        "Theo ngày sinh trên thẻ, Ông/Bà chưa đủ 60 tuổi nên không được ưu tiên người cao tuổi. "
        "Nếu Ông/Bà thuộc đối tượng ưu tiên khác, xin mời chọn khi lấy số.",
        "According to the date of birth on the card, you are not yet 60. "
        "If you are entitled to another priority, please choose it when you take a number.",
    ),
    "idcard_unreadable_title": ("Không đọc được thẻ căn cước", "The ID card could not be read"),
    "idcard_malformed_body": (
        "Máy không đọc được mã QR trên thẻ này. Xin mời Ông/Bà đưa lại mặt sau của thẻ trước camera, "
        "hoặc lấy số thường và báo cán bộ tại quầy.",
        "The kiosk could not read the QR code of this card. Please hold the back of the card in front of the "
        "camera again, or take a regular number and tell the staff at the counter.",
    ),
    "idcard_implausible_body": (
        "Thông tin trong mã QR của thẻ này không hợp lệ (ví dụ ngày sinh không đúng). "
        "Xin mời Ông/Bà lấy số và báo cán bộ tại quầy.",
        "The information in this card's QR code is not valid (for example the date of birth). "
        "Please take a number and tell the staff at the counter.",
    ),
    "voice": ("Hướng dẫn bằng giọng nói", "Voice guidance"),
    "voice_on": ("Đang đọc hướng dẫn — chạm để tắt", "Voice guidance on — touch to stop"),
    "voice_your_number": ("Số thứ tự của Ông/Bà là", "Your number is"),
    "voice_counters": ("Xin mời Ông/Bà chờ gọi tại quầy số", "Please wait to be called at counter"),
    "booking": ("Tôi đã đặt lịch hẹn", "I have an appointment"),
    "booking_title": ("Xin mời nhập mã lịch hẹn", "Please enter your booking code"),
    "booking_hint": (
        "Nhập mã số trên giấy hẹn hoặc tin nhắn, hoặc đưa mã QR của lịch hẹn vào trước camera.",
        "Type the code from your appointment message, or hold the booking's QR code in front of the camera.",
    ),
    "booking_hint_typed": (  # a kiosk without a camera (camera.source = "none"): no QR code to show
        "Nhập mã số trên giấy hẹn hoặc tin nhắn.",
        "Type the code from your appointment message.",
    ),
    "booking_submit": ("XÁC NHẬN", "CONFIRM"),
    "booking_empty": ("Mã lịch hẹn: …", "Booking code: …"),
    "booking_refused_title": ("Chưa lấy được số theo lịch hẹn", "No number for this booking"),
    "booked_for": ("Lịch hẹn: {time} — xin mời chờ đến giờ hẹn", "Appointment: {time} — please wait for it"),
    "idcard_no_priority_body": (
        "Bộ phận một cửa này hiện không áp dụng ưu tiên người cao tuổi. Xin mời Ông/Bà lấy số thường.",
        "This office does not give senior priority at present. Please take a regular number.",
    ),
}

#: The coordinator's refusals of a booking check-in (merged into `kiosk.i18n.ERROR_MESSAGES`).
CHECKIN_ERRORS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.UNKNOWN_BOOKING: (
        "Không tìm thấy lịch hẹn có mã này. Xin mời Ông/Bà kiểm tra lại mã, hoặc lấy số thường.",
        "No booking has this code. Please check the code, or take a regular number.",
    ),
    ErrorCode.BOOKING_USED: (
        "Lịch hẹn này đã được dùng để lấy số. Mỗi lịch hẹn chỉ lấy được một số. Xin mời Ông/Bà báo cán bộ.",
        "This booking has already given a number; each booking gives one. Please tell the staff.",
    ),
    ErrorCode.BOOKING_TOO_EARLY: (
        # No number of minutes here: the window is the hall's (hall.toml [bookings] early_min), not the kiosk's.
        "Chưa đến giờ nhận số cho lịch hẹn này. Xin mời Ông/Bà quay lại gần giờ hẹn.",
        "It is too early to check in for this booking. Please come back closer to the appointment time.",
    ),
    ErrorCode.BOOKING_TOO_LATE: (
        "Lịch hẹn này đã qua ngày. Xin mời Ông/Bà lấy số thường hoặc đặt lịch mới.",
        "This booking was for an earlier day. Please take a regular number or book again.",
    ),
}
