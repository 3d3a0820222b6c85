app_name = "crimes"

urlpatterns: list = []
